// Two FeS2 particles of different size (disks of radius 1.2 and 0.8) in one
// electrolyte box, 6.4 high and 5 wide, with a 2 wide separator towards the
// Li counter electrode (x < -2.5). Units: um (ssbsim's default 'Mesh length
// unit' = 1e-6). Each disk is a particle of its own: with 'Kinetics/
// Electronic contact resistance' > 0 each has its own potential behind its
// own electronic contact (doc/model.md).
// Ids (meshes/README.md): surfaces 1 particles, 2 electrolyte;
// curves 1 Li side, 2 current collector; other boundaries get id 0.
// Regenerate: gmsh -2 two_particles_2d.geo -format msh22 -o two_particles_2d.msh

L = 2.5;   // half width of the box
H = 3.2;   // half height
S = 2;     // separator thickness
h = 0.5;   // target element size on the disks
hb = 1.0;  // on the box

// particle a: radius 1.2 at (0, -1.6); particle b: radius 0.8 at (0, 1.6)
Point(10) = {0, -1.6, 0, h};
Point(11) = {0 + 1.2, -1.6, 0, h};
Point(12) = {0, -1.6 + 1.2, 0, h};
Point(13) = {0 - 1.2, -1.6, 0, h};
Point(14) = {0, -1.6 - 1.2, 0, h};
Circle(11) = {11, 10, 12};
Circle(12) = {12, 10, 13};
Circle(13) = {13, 10, 14};
Circle(14) = {14, 10, 11};
Curve Loop(1) = {11, 12, 13, 14};
Plane Surface(1) = {1};
Point(20) = {0, 1.6, 0, h};
Point(21) = {0 + 0.8, 1.6, 0, h};
Point(22) = {0, 1.6 + 0.8, 0, h};
Point(23) = {0 - 0.8, 1.6, 0, h};
Point(24) = {0, 1.6 - 0.8, 0, h};
Circle(21) = {21, 20, 22};
Circle(22) = {22, 20, 23};
Circle(23) = {23, 20, 24};
Circle(24) = {24, 20, 21};
Curve Loop(2) = {21, 22, 23, 24};
Plane Surface(2) = {2};

Point(31) = {-L - S, -H, 0, hb};
Point(32) = {L, -H, 0, hb};
Point(33) = {L, H, 0, hb};
Point(34) = {-L - S, H, 0, hb};
Line(31) = {31, 32};
Line(32) = {32, 33}; // current collector
Line(33) = {33, 34};
Line(34) = {34, 31}; // Li side
Curve Loop(3) = {31, 32, 33, 34};
Plane Surface(3) = {3, 1, 2};

Physical Surface(1) = {1, 2}; // particles
Physical Surface(2) = {3};    // electrolyte
Physical Curve(1) = {34};     // Li side
Physical Curve(2) = {32};     // current collector

Mesh.RecombineAll = 1;          // quadrilaterals only: deal.II needs them
Mesh.Algorithm = 6;
Mesh.SubdivisionAlgorithm = 1;
