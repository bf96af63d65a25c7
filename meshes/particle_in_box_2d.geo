// One FeS2 particle (disk, radius 2.5) centred in an 8 x 8 electrolyte
// square, with a 4 wide separator towards the Li counter electrode (x < -4).
// Units: um (ssbsim's default 'Mesh length unit' = 1e-6).
// Ids (meshes/README.md): surfaces 1 particle, 2 electrolyte;
// curves 1 Li side, 2 current collector; other boundaries get id 0.
// Regenerate: gmsh -2 particle_in_box_2d.geo -format msh22 -o particle_in_box_2d.msh

R = 2.5;   // particle radius
L = 4;     // half width of the electrolyte square
S = 4;     // separator thickness
h = 0.6;   // target element size

Point(1) = {0, 0, 0, h};
Point(2) = {R, 0, 0, h};
Point(3) = {0, R, 0, h};
Point(4) = {-R, 0, 0, h};
Point(5) = {0, -R, 0, h};
Circle(1) = {2, 1, 3};
Circle(2) = {3, 1, 4};
Circle(3) = {4, 1, 5};
Circle(4) = {5, 1, 2};
Curve Loop(1) = {1, 2, 3, 4};
Plane Surface(1) = {1};

Point(6) = {-L - S, -L, 0, h};
Point(7) = {L, -L, 0, h};
Point(8) = {L, L, 0, h};
Point(9) = {-L - S, L, 0, h};
Line(5) = {6, 7};
Line(6) = {7, 8};
Line(7) = {8, 9};
Line(8) = {9, 6};
Curve Loop(2) = {5, 6, 7, 8};
Plane Surface(2) = {2, 1};

Physical Surface(1) = {1}; // particle
Physical Surface(2) = {2}; // electrolyte
Physical Curve(1) = {8};   // Li side
Physical Curve(2) = {6};   // current collector

Mesh.RecombineAll = 1;          // quadrilaterals only: deal.II needs them
Mesh.Algorithm = 6;
Mesh.SubdivisionAlgorithm = 1;
